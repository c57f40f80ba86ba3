# The installed package: find_package(ringkernel) gives ringkernel::core (and ringkernel::abi
# for plugin authors); pkg-config gives ringkernel.pc. Plugins install to
# <libdir>/ringkernel/plugins, which discovery searches beside libringcore.
include(CMakePackageConfigHelpers)
set_target_properties(ringcore PROPERTIES EXPORT_NAME core)
set_target_properties(ringkernel_abi PROPERTIES EXPORT_NAME abi)
install(EXPORT ringkernelTargets NAMESPACE ringkernel:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ringkernel)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ringkernelConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ringkernelConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ringkernel
  PATH_VARS RINGKERNEL_INSTALL_PLUGIN_DIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ringkernelConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ringkernelConfig.cmake ${PROJECT_BINARY_DIR}/ringkernelConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ringkernel)
configure_file(${PROJECT_SOURCE_DIR}/cmake/ringkernel.pc.in ${PROJECT_BINARY_DIR}/ringkernel.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/ringkernel.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
