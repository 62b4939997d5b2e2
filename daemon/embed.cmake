# Turns a file into a C byte array: cmake -DIN=... -DOUT=... -DNAME=... -P embed.cmake
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUT}" "/* generated from ${IN} by daemon/embed.cmake */\n"
  "const unsigned char ${NAME}[] = {${bytes} 0};\n"
  "const unsigned long ${NAME}_len = sizeof(${NAME}) - 1;\n")
