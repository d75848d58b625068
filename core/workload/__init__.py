"""The team's load: per-rep figures, steering a rep's leads, rebalancing and handing over."""
