"""Request and response schemas of the public API, one module per owning service.

The owning service validates with them; the gateway documents them (OpenAPI). A
client's JSON never reaches a query unvalidated: every field has a type, and
free-form keys are refused.
"""
