"""HTTP edge shared by every handler: the resolver, the caller, the one error shape."""
