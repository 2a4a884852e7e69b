"""Home pages: every role lands on what needs doing now, read from the other contexts' public faces."""
