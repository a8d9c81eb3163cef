"""The command line: typer app and rich renderers over `putwheel.api`, and nothing else."""
