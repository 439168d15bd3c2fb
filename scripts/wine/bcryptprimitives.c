/* bcryptprimitives.dll for Wine releases that lack it (Wine 8, Debian 12).
 *
 * Rust's standard library imports ProcessPrng from bcryptprimitives.dll, which every
 * Windows since 8 provides. scripts/windows-check.sh builds this file into the private
 * Wine prefix it tests in, and only when that Wine has no bcryptprimitives.dll of its
 * own; it is never shipped. */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG piece = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (BCryptGenRandom(NULL, data, piece, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
            return FALSE;
        data += piece;
        length -= piece;
    }
    return TRUE;
}
