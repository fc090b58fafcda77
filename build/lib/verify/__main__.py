"""python -m verify ...: the same as the verify command."""

from .cli import main

main()
