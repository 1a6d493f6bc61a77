"""Mission planner: district grids, geofences and no-fly zones in; flyable, validated patrol routes out."""
