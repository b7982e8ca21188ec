#!/usr/bin/env python
from ombuds.__main__ import main

if __name__ == "__main__":
    main()
