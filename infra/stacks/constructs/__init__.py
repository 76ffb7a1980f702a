"""One construct per concern: data, layer, functions, api, waf."""
