/* rk_hlc_ops: placeholder, filled in by its owner */
