"""Pure USSD menus and SMS grammar: no Flask, no database, no Redis."""
