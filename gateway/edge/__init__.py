"""The edge with SMS and USSD providers: their payloads in, Satja's types out."""
