"""`python -m putwheel` runs the same typer app as the `putwheel` console script."""

from putwheel.cli.app import main

if __name__ == "__main__":
    main()
