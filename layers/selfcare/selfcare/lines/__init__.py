"""Code shared by the line capabilities (mobile, fixed, internet/VoIP, TV, other services)."""
