# runtime_bench.cpp drives ring kernels through libringcore.
target_link_libraries(rk-bench PRIVATE ringkernel::core)
