"""A public web server meets the internet: slow clients, floods, forged headers, garbage."""
