/* rk_ring_loop: placeholder, filled in by its owner */
