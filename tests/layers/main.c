/* An empty program linked with every object of one layer's library (whole
 * archive) and only the layers below it: a call into a layer above does not
 * link (tests/CMakeLists.txt, the linkcheck_* targets). */
int main(void)
{
    return 0;
}
