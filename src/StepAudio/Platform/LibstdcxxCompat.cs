// This file is compiled twice: into the StepAudio library (runtime fix for notebooks) and, followed by
// build/WeakenMissingGlibcxxTask.cs, into the MSBuild task that patches libLibTorchSharp.so in build outputs
// (Directory.Build.targets), which targets an older framework: keep it free of other project types and new APIs.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace StepAudio.Platform
{
    /// <summary>
    /// Makes TorchSharp's native glue load on systems whose libstdc++ is older than the one it was linked against.
    /// libLibTorchSharp.so (TorchSharp 0.107.0) declares a need for GLIBCXX_3.4.32 only for GCC 13's iostream-init
    /// anchor, which it never relocates against; marking that version need weak (VER_FLG_WEAK) lets the dynamic
    /// loader accept libstdc++ 12 while everything the library really calls resolves normally.
    /// </summary>
    public static class LibstdcxxCompat
    {
        /// <summary>Versions known to be needed without a relocation, so that weakening them is safe.</summary>
        public static readonly IReadOnlyList<string> WeakenableVersions = new[] { "GLIBCXX_3.4.32" };

        const uint ShtGnuVerdef = 0x6ffffffd;
        const uint ShtGnuVerneed = 0x6ffffffe;
        const ushort VerFlgWeak = 0x2;

        /// <summary>
        /// Weakens, in place (write to a temporary file, then rename), the libstdc++ version needs of
        /// <paramref name="libraryPath"/> that the system libstdc++ does not provide. Returns the versions weakened;
        /// empty when nothing had to change (new enough libstdc++, already patched, or no libstdc++ found).
        /// </summary>
        public static IReadOnlyList<string> PatchInPlace(string libraryPath)
        {
            var bytes = File.ReadAllBytes(libraryPath);
            var weakened = Patch(bytes, FindSystemLibstdcxx());
            if (weakened.Count == 0) return weakened;
            var tmp = libraryPath + ".stepaudio-tmp";
            File.WriteAllBytes(tmp, bytes);
            File.Replace(tmp, libraryPath, null); // an atomic rename on Unix
            return weakened;
        }

        /// <summary>
        /// Weakens in <paramref name="elf"/> the libstdc++ version needs that <paramref name="libstdcxxPath"/> lacks.
        /// Throws when a missing version is not one known to be safe to weaken.
        /// </summary>
        public static IReadOnlyList<string> Patch(byte[] elf, string? libstdcxxPath)
        {
            var result = new List<string>();
            if (libstdcxxPath == null) return result;
            var provided = VersionDefinitions(File.ReadAllBytes(libstdcxxPath));
            foreach (var need in VersionNeeds(elf))
            {
                if (need.File != "libstdc++.so.6" || provided.Contains(need.Name) || (need.Flags & VerFlgWeak) != 0)
                    continue;
                if (Array.IndexOf((string[])WeakenableVersions, need.Name) < 0)
                    throw new InvalidOperationException(
                        $"The system libstdc++ ({libstdcxxPath}) lacks {need.Name}, which TorchSharp needs. " +
                        "Install a newer libstdc++ (GCC 13 or later runtime).");
                WriteUInt16(elf, need.FlagsOffset, (ushort)(need.Flags | VerFlgWeak));
                result.Add(need.Name);
            }
            return result;
        }

        /// <summary>True when <paramref name="libraryPath"/> needs a libstdc++ version that this system lacks.</summary>
        public static bool NeedsPatch(string libraryPath)
        {
            var system = FindSystemLibstdcxx();
            if (system == null) return false;
            var provided = VersionDefinitions(File.ReadAllBytes(system));
            foreach (var need in VersionNeeds(File.ReadAllBytes(libraryPath)))
                if (need.File == "libstdc++.so.6" && (need.Flags & VerFlgWeak) == 0 && !provided.Contains(need.Name))
                    return true;
            return false;
        }

        /// <summary>The libstdc++.so.6 the dynamic loader would pick, from the usual Debian/Ubuntu/RHEL places.</summary>
        public static string? FindSystemLibstdcxx()
        {
            foreach (var dir in new[] { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64",
                         "/usr/lib/aarch64-linux-gnu", "/usr/lib" })
            {
                var p = Path.Combine(dir, "libstdc++.so.6");
                if (File.Exists(p)) return p;
            }
            return null;
        }

        /// <summary>One version need (an ELF Vernaux entry) with the byte offset of its flags field.</summary>
        public readonly struct VersionNeed
        {
            public VersionNeed(string file, string name, ushort flags, int flagsOffset)
            {
                File = file; Name = name; Flags = flags; FlagsOffset = flagsOffset;
            }
            public string File { get; }
            public string Name { get; }
            public ushort Flags { get; }
            public int FlagsOffset { get; }
        }

        /// <summary>Reads the .gnu.version_r entries of a little-endian ELF64 file.</summary>
        public static List<VersionNeed> VersionNeeds(byte[] elf)
        {
            var list = new List<VersionNeed>();
            foreach (var (offset, count, strtab) in Sections(elf, ShtGnuVerneed))
            {
                int vn = offset;
                for (int i = 0; i < count; i++)
                {
                    int cnt = ReadUInt16(elf, vn + 2);
                    string file = CString(elf, strtab + (int)ReadUInt32(elf, vn + 4));
                    int aux = vn + (int)ReadUInt32(elf, vn + 8);
                    for (int j = 0; j < cnt; j++)
                    {
                        list.Add(new VersionNeed(file, CString(elf, strtab + (int)ReadUInt32(elf, aux + 8)),
                            ReadUInt16(elf, aux + 4), aux + 4));
                        aux += (int)ReadUInt32(elf, aux + 12);
                    }
                    vn += (int)ReadUInt32(elf, vn + 12);
                }
            }
            return list;
        }

        /// <summary>The version names a shared library defines (.gnu.version_d).</summary>
        public static HashSet<string> VersionDefinitions(byte[] elf)
        {
            var set = new HashSet<string>();
            foreach (var (offset, count, strtab) in Sections(elf, ShtGnuVerdef))
            {
                int vd = offset;
                for (int i = 0; i < count; i++)
                {
                    int aux = vd + (int)ReadUInt32(elf, vd + 12);
                    set.Add(CString(elf, strtab + (int)ReadUInt32(elf, aux)));
                    vd += (int)ReadUInt32(elf, vd + 16);
                }
            }
            return set;
        }

        static IEnumerable<(int Offset, int Count, int StringTable)> Sections(byte[] elf, uint type)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException("only little-endian ELF64 is supported");
            long shoff = (long)ReadUInt64(elf, 0x28);
            int shentsize = ReadUInt16(elf, 0x3A), shnum = ReadUInt16(elf, 0x3C);
            for (int i = 0; i < shnum; i++)
            {
                int sh = (int)(shoff + (long)i * shentsize);
                if (ReadUInt32(elf, sh + 4) != type) continue;
                int link = (int)ReadUInt32(elf, sh + 0x28);
                int strtab = (int)ReadUInt64(elf, (int)(shoff + (long)link * shentsize) + 0x18);
                yield return ((int)ReadUInt64(elf, sh + 0x18), (int)ReadUInt32(elf, sh + 0x2C), strtab);
            }
        }

        static string CString(byte[] b, int offset)
        {
            int end = Array.IndexOf(b, (byte)0, offset);
            return Encoding.ASCII.GetString(b, offset, end - offset);
        }

        static ushort ReadUInt16(byte[] b, int o) => (ushort)(b[o] | b[o + 1] << 8);
        static uint ReadUInt32(byte[] b, int o) => (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24);
        static ulong ReadUInt64(byte[] b, int o) => ReadUInt32(b, o) | (ulong)ReadUInt32(b, o + 4) << 32;
        static void WriteUInt16(byte[] b, int o, ushort v) { b[o] = (byte)v; b[o + 1] = (byte)(v >> 8); }
    }
}
