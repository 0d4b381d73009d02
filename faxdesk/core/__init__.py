"""Pure-Python domain: models, phone numbers, errors and the ports services depend on."""
