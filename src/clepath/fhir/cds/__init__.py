"""CDS Hooks 2.0 (https://cds-hooks.hl7.org/2.0/) for clepath, as plain functions.

Service definitions and discovery (`services`), request parsing (`model`), prefetch templates,
tokens and the absent/null/OperationOutcome states (`prefetch`), cards and their rules (`cards`),
draft orders (`orders`), the hooks themselves (`hooks`: patient-view, order-select, order-sign),
feedback (`feedback`), client JWT verification (`auth`) and an offline CDS-client harness
(`harness`). The web layer (`clepath.web.cds`) only parses, verifies and calls these.
"""
