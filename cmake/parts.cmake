# The parts of src/ and who may include what (README, Layout).
#
# A target that uses parts writes #include "<part>/<file>.h" and sees only
# the parts it names: its include directory is a folder of its own in the
# build tree, build/parts/<target>-<scope>/, holding one symbolic link per
# part (<part> -> src/<part>).  No target has src/ itself on its include
# path, so an include of a part the target did not name fails to compile;
# tests/check_layers.sh (CTest check_layers) checks the same table on the
# sources.

# rhook_use_parts(<target> <PUBLIC|PRIVATE|INTERFACE> <part>...)
function(rhook_use_parts target scope)
  set(dir ${PROJECT_BINARY_DIR}/parts/${target}-${scope})
  file(MAKE_DIRECTORY ${dir})
  foreach(part IN LISTS ARGN)
    if(NOT IS_DIRECTORY ${PROJECT_SOURCE_DIR}/src/${part})
      message(FATAL_ERROR "rhook_use_parts(${target}): no part src/${part}")
    endif()
    if(NOT EXISTS ${dir}/${part})
      file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${part} ${dir}/${part} SYMBOLIC)
    endif()
  endforeach()
  target_include_directories(${target} ${scope} $<BUILD_INTERFACE:${dir}>)
endfunction()
