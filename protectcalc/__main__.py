"""``python -m protectcalc`` works like the ``protectcalc`` command."""

from protectcalc.cli import main

if __name__ == "__main__":
    main()
