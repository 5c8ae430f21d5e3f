"""Flask side of the web process that is not a Dash page: guard, access, sessions, sign-in, exports, push."""
