# The plugin SDK's CMake helper, installed with the package (find_package(ringkernel)) and
# documented in docs/writing-a-backend.md:
#
#   ringkernel_add_backend_plugin(<name> SOURCES <file>... [OUTPUT_DIRECTORY <dir>] [INSTALL])
#
# builds target rk_backend_<name> as librk_backend_<name>.so, the file name discovery looks
# for: a MODULE library against ringkernel::abi, everything hidden but rk_plugin_entry (the
# same version script the built-in backends use), no undefined symbols. INSTALL puts it in
# RINGKERNEL_PLUGIN_DIR, the plugins folder beside the installed libringcore.
set(RINGKERNEL_PLUGIN_VERSION_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/plugin.map")

function(ringkernel_add_backend_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "INSTALL" "OUTPUT_DIRECTORY" "SOURCES")
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "ringkernel_add_backend_plugin(${name}): SOURCES is empty")
  endif()
  if(NOT name MATCHES "^[A-Za-z0-9_]+$")
    message(FATAL_ERROR "ringkernel_add_backend_plugin(${name}): a backend name is letters, digits and _")
  endif()
  set(target rk_backend_${name})
  add_library(${target} MODULE ${arg_SOURCES})
  target_link_libraries(${target} PRIVATE ringkernel::abi)
  set_target_properties(${target} PROPERTIES PREFIX "lib" OUTPUT_NAME "rk_backend_${name}" SUFFIX ".so"
    C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  if(arg_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${arg_OUTPUT_DIRECTORY}")
  endif()
  target_link_options(${target} PRIVATE
    "LINKER:--version-script=${RINGKERNEL_PLUGIN_VERSION_SCRIPT}" "LINKER:--no-undefined")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${RINGKERNEL_PLUGIN_VERSION_SCRIPT}")
  if(arg_INSTALL)
    install(TARGETS ${target} LIBRARY DESTINATION "${RINGKERNEL_PLUGIN_DIR}")
  endif()
endfunction()
