def tenancy(request):
    membership = getattr(request, "membership", None)
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
    }
