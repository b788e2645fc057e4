"""The `clepath` command line (Typer): one module per command group; nothing imports it.

Commands parse their arguments, call one core function and render; every ClepathError is turned
into a message and an exit code in `main.main` (1 invalid input, 3 knowledge, 4 other).
"""
