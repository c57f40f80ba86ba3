# Fails unless README contains EXAMPLE's text word for word inside a ```cpp block, so the
# program that is compiled with -Werror and run is the one README shows.
file(READ ${README} readme)
file(READ ${EXAMPLE} example)
string(FIND "${readme}" "```cpp\n${example}```" at)
if(at EQUAL -1)
  message(FATAL_ERROR "README.md does not show ${EXAMPLE} as it is (in a ```cpp block): copy the file into README")
endif()
