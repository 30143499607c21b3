"""`python -m infra.local` (what `make dev` runs)."""
from infra.local.runtime import main

if __name__ == "__main__":
    raise SystemExit(main())
