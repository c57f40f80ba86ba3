# cuda_graph_bench.cpp dlopens libcuda.so.1.
target_link_libraries(rk-bench PRIVATE ${CMAKE_DL_LIBS})
