"""Demo data for the registry: the 3 April 2011 extraordinary presidential election in Kazakhstan."""
