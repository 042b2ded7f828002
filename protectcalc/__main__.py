"""``python -m protectcalc`` works like the ``protectcalc`` command (both start here).

The command line imports Typer, Rich and pydantic, which takes a noticeable moment; a
Ctrl-C in that moment ends with exit 130 and no traceback, like one later on.
"""

import sys


def main() -> None:
    """Import the command line and run it; Ctrl-C while importing is exit 130."""
    try:
        from protectcalc.cli import main as run_command_line
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        raise SystemExit(130) from None
    run_command_line()


if __name__ == "__main__":
    main()
