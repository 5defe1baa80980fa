# Repository-wide checks registered with CTest (filled in as parts land).
