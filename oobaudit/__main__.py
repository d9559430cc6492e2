"""python -m oobaudit"""

from .cli import main

main()
