"""Sites: the places chargers stand, with address, coordinates, time zone, grid capacity and owner."""
