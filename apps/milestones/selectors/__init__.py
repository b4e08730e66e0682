"""Reads of the milestones layer, one module per noun: the alert inbox and digest (`alerts`),
a partner's milestone timeline (`timeline`), the 90-day review package (`review`), the console
home's figures (`home`) and the program settings' tracks (`tracks`). Import the module you need."""
