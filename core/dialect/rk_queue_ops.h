/* rk_queue_ops: placeholder, filled in by its owner */
