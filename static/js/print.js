// Print buttons (the 90-day review): shown and wired only when JavaScript runs, so the page
// never offers a button that does nothing. Loaded as a file: the CSP allows no inline script.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
    button.hidden = false;
  });
});
