/* rk_ring_context: placeholder, filled in by its owner */
