"""claimcheck: check the quantitative claims of theory papers by simulation."""
from .claim import Claim, ClaimDefinitionError, Mutant, Rate

__version__ = "0.1.0"
__all__ = ["Claim", "Rate", "Mutant", "ClaimDefinitionError", "__version__"]
