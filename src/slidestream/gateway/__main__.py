"""`python -m slidestream.gateway [--upstream URL] [--host H] [--port P]`."""

from slidestream.gateway.serve import main

main()
