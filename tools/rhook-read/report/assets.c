/*
 * assets.c - the parts of the report page, embedded into rhook-read when
 * it is built (report.c): the page's head and script, and Debian's
 * libjs-dygraphs (MIT), whose paths CMake passes as RHOOK_ASSET_*.
 * Each asset is the bytes rhook__asset_<name> .. rhook__asset_<name>_end
 * (hidden symbols, read-only data), included with the assembler's
 * .incbin: no generated copy of a library in the tree or the build.
 */
#define RDR_ASSET(name, file)                                                               \
	__asm__(".section .rodata\n"                                                           \
		".globl rhook__asset_" #name "\n.hidden rhook__asset_" #name "\n"              \
		".globl rhook__asset_" #name "_end\n.hidden rhook__asset_" #name "_end\n"      \
		"rhook__asset_" #name ":\n.incbin \"" file "\"\n"                              \
		"rhook__asset_" #name "_end:\n.byte 0\n.previous\n");

RDR_ASSET(page_head, RHOOK_ASSET_PAGE_HEAD)
RDR_ASSET(page_js, RHOOK_ASSET_PAGE_JS)
RDR_ASSET(dygraph_js, RHOOK_ASSET_DYGRAPH_JS)
RDR_ASSET(dygraph_css, RHOOK_ASSET_DYGRAPH_CSS)
RDR_ASSET(synchronizer_js, RHOOK_ASSET_SYNCHRONIZER_JS)
