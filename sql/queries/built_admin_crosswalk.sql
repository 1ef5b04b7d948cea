-- Build the pre-2025 -> 2025 crosswalk by area share; returns its pair count.
SELECT build_admin_crosswalk(:sliver)
