# The installed package: find_package(ringkernel) gives ringkernel::core (and ringkernel::abi
# for plugin authors); pkg-config gives ringkernel.pc. Plugins install to
# <libdir>/ringkernel/plugins, which discovery searches beside libringcore.
include(CMakePackageConfigHelpers)
set(RINGKERNEL_INSTALL_DIALECT_DIR ${CMAKE_INSTALL_INCLUDEDIR}/ringkernel/dialect)
set_target_properties(ringcore PROPERTIES EXPORT_NAME core)
set_target_properties(ringkernel_abi PROPERTIES EXPORT_NAME abi)
install(EXPORT ringkernelTargets NAMESPACE ringkernel:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ringkernel)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ringkernelConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ringkernelConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ringkernel
  PATH_VARS RINGKERNEL_INSTALL_PLUGIN_DIR RINGKERNEL_INSTALL_DIALECT_DIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ringkernelConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ringkernelConfig.cmake ${PROJECT_BINARY_DIR}/ringkernelConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ringkernel)

# pkg-config: every path relative to the .pc file's own folder, so a moved install works.
# (GNUInstallDirs folders given as absolute paths stay absolute: those cannot move.)
file(RELATIVE_PATH _rk_up "/rk-prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/rk-prefix")
string(REGEX REPLACE "/+$" "" _rk_up "${_rk_up}")
set(RINGKERNEL_PC_PREFIX "\${pcfiledir}/${_rk_up}")
foreach(_rk_dir LIBDIR INCLUDEDIR)
  set(RINGKERNEL_PC_${_rk_dir} "\${prefix}/${CMAKE_INSTALL_${_rk_dir}}")
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_rk_dir}}")
    set(RINGKERNEL_PC_${_rk_dir} "${CMAKE_INSTALL_${_rk_dir}}")
  endif()
endforeach()

# The portable dialect, for an editor: the headers the runtime puts in front of every kernel
# source, the cpu_sim prelude that spells them as host C++, and rk_dialect.h over all of them.
install(FILES
  ${PROJECT_SOURCE_DIR}/core/dialect/rk_dialect.h
  ${PROJECT_SOURCE_DIR}/core/dialect/rk_queue_ops.h
  ${PROJECT_SOURCE_DIR}/core/dialect/rk_hlc_ops.h
  ${PROJECT_SOURCE_DIR}/core/dialect/rk_trace.h
  ${PROJECT_SOURCE_DIR}/core/dialect/rk_ring_context.h
  ${PROJECT_SOURCE_DIR}/core/dialect/rk_k2k.h
  ${PROJECT_SOURCE_DIR}/core/dialect/rk_ring_loop.h
  ${PROJECT_SOURCE_DIR}/core/dialect/preludes/rk_host_primitives.h
  ${PROJECT_SOURCE_DIR}/plugins/cpu_sim/prelude/rk_prelude_cpu.h
  ${PROJECT_SOURCE_DIR}/plugins/cpu_sim/prelude/rk_cpu_thread_info.h
  ${PROJECT_SOURCE_DIR}/plugins/opencl/prelude/rk_prelude_opencl.h
  DESTINATION ${RINGKERNEL_INSTALL_DIALECT_DIR})

# The plugin SDK: the version script every backend links with and ringkernel_add_backend_plugin().
install(FILES ${PROJECT_SOURCE_DIR}/plugins/plugin.map ${PROJECT_SOURCE_DIR}/cmake/ringkernelPlugin.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ringkernel)

configure_file(${PROJECT_SOURCE_DIR}/cmake/ringkernel.pc.in ${PROJECT_BINARY_DIR}/ringkernel.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/ringkernel.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
