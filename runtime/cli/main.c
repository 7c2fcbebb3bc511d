/*
 * main.c - the huddle binary: hands the command line to the CLI and exits with its
 * status. Nothing below main calls exit().
 */
#include "cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
