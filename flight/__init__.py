"""Ground-station MAVLink layer for gridpatrol (issue 3). Only flight modes are implemented so far."""
