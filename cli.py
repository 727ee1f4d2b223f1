"""``python cli.py ...`` runs the same program as the installed ``lgcloud`` command."""

from optimizer.cli import main

if __name__ == "__main__":
    main()
