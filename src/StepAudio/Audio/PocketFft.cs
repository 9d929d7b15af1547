using System.Buffers;

namespace StepAudio.Audio;

/// <summary>
/// The real forward FFT of pocketfft (mreineck/pocketfft, C++ <c>pocketfft_hdronly.h</c>, class <c>rfftp</c>: the
/// FFTPACK passes <c>radf2/3/4/5</c> and the generic <c>radfg</c>), in scalar float32 with pocketfft's factor order,
/// twiddles and operation order. It is the CPU FFT of the torch 1.13 build the parity fixtures come from, so a frame
/// gets the same float32 roundoff as there; that roundoff is what the fixtures' tolerances encode (it dominates whisper's
/// log-mel bins ~9 decades below the max). libtorch's own <c>torch.stft</c> may run MKL or pocketfft depending on the
/// build, and plain C# float math does not contract to FMA, so this result is the same on every x64 machine.
/// Lengths that pocketfft routes through Bluestein (n ≥ 50 whose largest prime factor p has p² &gt; n and a high cost
/// guess) still get the FFTPACK transform here: a correct FFT, but not bit-identical to pocketfft's.
/// The instance is immutable (twiddles only) and can be shared between threads.
/// </summary>
public sealed class PocketFft
{
    readonly int n;
    readonly int[] fact;
    readonly float[][] tw, tws;

    public PocketFft(int length)
    {
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "PocketFft: length must be ≥ 1");
        n = length;
        fact = Factorize(n);
        tw = new float[fact.Length][];
        tws = new float[fact.Length][];
        ComputeTwiddles();
    }

    public int Length => n;

    /// <summary>Number of output bins, n/2 + 1.</summary>
    public int Bins => n / 2 + 1;

    /// <summary>pocketfft's factors in plan order (the forward transform runs them from last to first).</summary>
    public IReadOnlyList<int> Factors => fact;

    /// <summary>Unnormalised forward transform X[k] = Σ x[j]·e^(−2πi·jk/n), k = 0..n/2, as torch.fft.rfft returns it.</summary>
    public (float[] Re, float[] Im) RealForward(ReadOnlySpan<float> input)
    {
        var re = new float[Bins];
        var im = new float[Bins];
        Forward(input, re, im);
        return (re, im);
    }

    /// <summary><see cref="RealForward"/> into caller buffers of at least <see cref="Bins"/> floats.</summary>
    public void Forward(ReadOnlySpan<float> input, Span<float> re, Span<float> im)
    {
        if (input.Length != n) throw new ArgumentException($"PocketFft: input has {input.Length} samples, the plan {n}", nameof(input));
        if (re.Length < Bins || im.Length < Bins) throw new ArgumentException($"PocketFft: outputs need {Bins} bins", nameof(re));
        var a = ArrayPool<float>.Shared.Rent(n);
        var b = ArrayPool<float>.Shared.Rent(n);
        try
        {
            input.CopyTo(a);
            var r = Execute(a, b);
            // FFTPACK half-complex order r0, r1, i1, r2, i2, … (, r_{n/2}), unpacked as pocketfft's general_r2c does.
            re[0] = r[0];
            im[0] = 0;
            int i = 1, k = 1;
            for (; i < n - 1; i += 2, k++) { re[k] = r[i]; im[k] = r[i + 1]; }
            if (i < n) { re[k] = r[i]; im[k] = 0; }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(a);
            ArrayPool<float>.Shared.Return(b);
        }
    }

    /// <summary>rfftp::exec(r2hc): returns whichever of the two buffers holds the half-complex result.</summary>
    float[] Execute(float[] p1, float[] p2)
    {
        if (n == 1) return p1;
        for (int k1 = 0, l1 = n; k1 < fact.Length; k1++)
        {
            int k = fact.Length - k1 - 1, ip = fact[k], ido = n / l1;
            l1 /= ip;
            switch (ip)
            {
                case 4: Radf4(ido, l1, p1, p2, tw[k]); break;
                case 2: Radf2(ido, l1, p1, p2, tw[k]); break;
                case 3: Radf3(ido, l1, p1, p2, tw[k]); break;
                case 5: Radf5(ido, l1, p1, p2, tw[k]); break;
                default: Radfg(ido, ip, l1, p1, p2, tw[k], tws[k]); (p1, p2) = (p2, p1); break; // radfg leaves its result in cc
            }
            (p1, p2) = (p2, p1);
        }
        return p1;
    }

    /// <summary>rfftp::factorize: 4s first, then one 2 moved to the front, then odd factors ascending.</summary>
    static int[] Factorize(int length)
    {
        var f = new List<int>();
        int len = length;
        while (len % 4 == 0) { f.Add(4); len >>= 2; }
        if (len % 2 == 0)
        {
            len >>= 1;
            f.Add(2);
            (f[0], f[^1]) = (f[^1], f[0]);
        }
        for (int d = 3; d * d <= len; d += 2)
            while (len % d == 0) { f.Add(d); len /= d; }
        if (len > 1) f.Add(len);
        return f.ToArray();
    }

    /// <summary>rfftp::comp_twiddle.</summary>
    void ComputeTwiddles()
    {
        if (n == 1) return;
        var twid = new SinCos2PiByN(n);
        for (int k = 0, l1 = 1; k < fact.Length; k++)
        {
            int ip = fact[k], ido = n / (l1 * ip);
            var t = new float[k < fact.Length - 1 ? (ip - 1) * (ido - 1) : 0];
            if (t.Length > 0)
                for (int j = 1; j < ip; j++)
                    for (int i = 1; i <= (ido - 1) / 2; i++)
                    {
                        var (r, im) = twid[j * l1 * i];
                        t[(j - 1) * (ido - 1) + 2 * i - 2] = r;
                        t[(j - 1) * (ido - 1) + 2 * i - 1] = im;
                    }
            tw[k] = t;
            if (ip > 5)
            {
                var s = new float[2 * ip];
                s[0] = 1;
                s[1] = 0;
                for (int i = 2, ic = 2 * ip - 2; i <= ic; i += 2, ic -= 2)
                {
                    var (r, im) = twid[i / 2 * (n / ip)];
                    s[i] = r;
                    s[i + 1] = im;
                    s[ic] = r;
                    s[ic + 1] = -im;
                }
                tws[k] = s;
            }
            else tws[k] = [];
            l1 *= ip;
        }
    }

    /// <summary>
    /// pocketfft's sincos_2pibyn: e^(2πi·idx/n) from two double tables (symmetry-reduced sin/cos, then one complex
    /// product in double) rounded to float. pocketfft takes the angle π/(4n) in x87 long double, which can differ from
    /// this double quotient in the last bit; for every n ≤ 3000 the rounded float twiddles were checked to be identical.
    /// </summary>
    sealed class SinCos2PiByN
    {
        readonly int len, mask, shift;
        readonly (double R, double I)[] v1, v2;

        public SinCos2PiByN(int n)
        {
            len = n;
            double ang = 0.25 * Math.PI / n;
            int nval = (n + 2) / 2;
            shift = 1;
            while ((1L << shift) * (1L << shift) < nval) shift++;
            mask = (1 << shift) - 1;
            v1 = new (double, double)[mask + 1];
            v1[0] = (1, 0);
            for (int i = 1; i < v1.Length; i++) v1[i] = Calc(i, n, ang);
            v2 = new (double, double)[(nval + mask) / (mask + 1)];
            v2[0] = (1, 0);
            for (int i = 1; i < v2.Length; i++) v2[i] = Calc((long)i * (mask + 1), n, ang);
        }

        static (double, double) Calc(long x, long n, double ang)
        {
            x <<= 3;
            if (x < 4 * n)
            {
                if (x < 2 * n)
                    return x < n ? (Math.Cos(x * ang), Math.Sin(x * ang)) : (Math.Sin((2 * n - x) * ang), Math.Cos((2 * n - x) * ang));
                x -= 2 * n;
                return x < n ? (-Math.Sin(x * ang), Math.Cos(x * ang)) : (-Math.Cos((2 * n - x) * ang), Math.Sin((2 * n - x) * ang));
            }
            x = 8 * n - x;
            if (x < 2 * n)
                return x < n ? (Math.Cos(x * ang), -Math.Sin(x * ang)) : (Math.Sin((2 * n - x) * ang), -Math.Cos((2 * n - x) * ang));
            x -= 2 * n;
            return x < n ? (-Math.Sin(x * ang), -Math.Cos(x * ang)) : (-Math.Cos((2 * n - x) * ang), -Math.Sin((2 * n - x) * ang));
        }

        public (float R, float I) this[int idx]
        {
            get
            {
                bool upper = 2 * idx > len;
                if (upper) idx = len - idx;
                var (x1, x2) = (v1[idx & mask], v2[idx >> shift]);
                float r = (float)(x1.R * x2.R - x1.I * x2.I), i = (float)(x1.R * x2.I + x1.I * x2.R);
                return (r, upper ? -i : i);
            }
        }
    }

    // The passes below keep pocketfft's expression order term by term: float addition is not associative, and
    // matching its roundoff is the point of this class. MULPM(a,b,c,d,e,f): a = c·e + d·f, b = c·f − d·e.

    /// <summary>pocketfft's PM: a = c + d, b = c − d.</summary>
    static void PM(float[] ch, int a, int b, float c, float d)
    {
        ch[a] = c + d;
        ch[b] = c - d;
    }

    static void Radf2(int ido, int l1, float[] cc, float[] ch, float[] wa)
    {
        int CC(int a, int b, int c) => a + ido * (b + l1 * c);
        int CH(int a, int b, int c) => a + ido * (b + 2 * c);
        int WA(int x, int i) => i + x * (ido - 1);

        for (int k = 0; k < l1; k++)
        {
            float c0 = cc[CC(0, k, 0)], c1 = cc[CC(0, k, 1)];
            PM(ch, CH(0, 0, k), CH(ido - 1, 1, k), c0, c1);
        }
        if ((ido & 1) == 0)
            for (int k = 0; k < l1; k++)
            {
                ch[CH(0, 1, k)] = -cc[CC(ido - 1, k, 1)];
                ch[CH(ido - 1, 0, k)] = cc[CC(ido - 1, k, 0)];
            }
        if (ido <= 2) return;
        for (int k = 0; k < l1; k++)
            for (int i = 2; i < ido; i += 2)
            {
                int ic = ido - i;
                float wr = wa[WA(0, i - 2)], wi = wa[WA(0, i - 1)], er = cc[CC(i - 1, k, 1)], ei = cc[CC(i, k, 1)];
                float tr2 = wr * er + wi * ei, ti2 = wr * ei - wi * er;
                float a = cc[CC(i - 1, k, 0)], b = cc[CC(i, k, 0)];
                PM(ch, CH(i - 1, 0, k), CH(ic - 1, 1, k), a, tr2);
                PM(ch, CH(i, 0, k), CH(ic, 1, k), ti2, b);
            }
    }

    static void Radf3(int ido, int l1, float[] cc, float[] ch, float[] wa)
    {
        const float taur = -0.5f, taui = 0.8660254037844386467637231707529362f;
        int CC(int a, int b, int c) => a + ido * (b + l1 * c);
        int CH(int a, int b, int c) => a + ido * (b + 3 * c);
        int WA(int x, int i) => i + x * (ido - 1);

        for (int k = 0; k < l1; k++)
        {
            float c0 = cc[CC(0, k, 0)], c1 = cc[CC(0, k, 1)], c2 = cc[CC(0, k, 2)];
            float cr2 = c1 + c2;
            ch[CH(0, 0, k)] = c0 + cr2;
            ch[CH(0, 2, k)] = taui * (c2 - c1);
            ch[CH(ido - 1, 1, k)] = c0 + taur * cr2;
        }
        if (ido == 1) return;
        for (int k = 0; k < l1; k++)
            for (int i = 2; i < ido; i += 2)
            {
                int ic = ido - i;
                float w0r = wa[WA(0, i - 2)], w0i = wa[WA(0, i - 1)], w1r = wa[WA(1, i - 2)], w1i = wa[WA(1, i - 1)];
                float a1r = cc[CC(i - 1, k, 1)], a1i = cc[CC(i, k, 1)], a2r = cc[CC(i - 1, k, 2)], a2i = cc[CC(i, k, 2)];
                float dr2 = w0r * a1r + w0i * a1i, di2 = w0r * a1i - w0i * a1r;
                float dr3 = w1r * a2r + w1i * a2i, di3 = w1r * a2i - w1i * a2r;
                // REARRANGE(dr2, di2, dr3, di3): a2 = a + b, b2 = i·(b − a)
                (dr2, di2, dr3, di3) = (dr2 + dr3, di2 + di3, di2 - di3, dr3 - dr2);
                float c0r = cc[CC(i - 1, k, 0)], c0i = cc[CC(i, k, 0)];
                ch[CH(i - 1, 0, k)] = c0r + dr2;
                ch[CH(i, 0, k)] = c0i + di2;
                float tr2 = c0r + taur * dr2, ti2 = c0i + taur * di2;
                float tr3 = taui * dr3, ti3 = taui * di3;
                PM(ch, CH(i - 1, 2, k), CH(ic - 1, 1, k), tr2, tr3);
                PM(ch, CH(i, 2, k), CH(ic, 1, k), ti3, ti2);
            }
    }

    static void Radf4(int ido, int l1, float[] cc, float[] ch, float[] wa)
    {
        const float hsqt2 = 0.707106781186547524400844362104849f;
        int CC(int a, int b, int c) => a + ido * (b + l1 * c);
        int CH(int a, int b, int c) => a + ido * (b + 4 * c);
        int WA(int x, int i) => i + x * (ido - 1);

        for (int k = 0; k < l1; k++)
        {
            float c0 = cc[CC(0, k, 0)], c1 = cc[CC(0, k, 1)], c2 = cc[CC(0, k, 2)], c3 = cc[CC(0, k, 3)];
            float tr1 = c3 + c1;
            ch[CH(0, 2, k)] = c3 - c1;
            float tr2 = c0 + c2;
            ch[CH(ido - 1, 1, k)] = c0 - c2;
            PM(ch, CH(0, 0, k), CH(ido - 1, 3, k), tr2, tr1);
        }
        if ((ido & 1) == 0)
            for (int k = 0; k < l1; k++)
            {
                float c0 = cc[CC(ido - 1, k, 0)], c1 = cc[CC(ido - 1, k, 1)], c2 = cc[CC(ido - 1, k, 2)], c3 = cc[CC(ido - 1, k, 3)];
                float ti1 = -hsqt2 * (c1 + c3);
                float tr1 = hsqt2 * (c1 - c3);
                PM(ch, CH(ido - 1, 0, k), CH(ido - 1, 2, k), c0, tr1);
                PM(ch, CH(0, 3, k), CH(0, 1, k), ti1, c2);
            }
        if (ido <= 2) return;
        for (int k = 0; k < l1; k++)
            for (int i = 2; i < ido; i += 2)
            {
                int ic = ido - i;
                float w0r = wa[WA(0, i - 2)], w0i = wa[WA(0, i - 1)];
                float w1r = wa[WA(1, i - 2)], w1i = wa[WA(1, i - 1)];
                float w2r = wa[WA(2, i - 2)], w2i = wa[WA(2, i - 1)];
                float a1r = cc[CC(i - 1, k, 1)], a1i = cc[CC(i, k, 1)];
                float a2r = cc[CC(i - 1, k, 2)], a2i = cc[CC(i, k, 2)];
                float a3r = cc[CC(i - 1, k, 3)], a3i = cc[CC(i, k, 3)];
                float cr2 = w0r * a1r + w0i * a1i, ci2 = w0r * a1i - w0i * a1r;
                float cr3 = w1r * a2r + w1i * a2i, ci3 = w1r * a2i - w1i * a2r;
                float cr4 = w2r * a3r + w2i * a3i, ci4 = w2r * a3i - w2i * a3r;
                float tr1 = cr4 + cr2, tr4 = cr4 - cr2;
                float ti1 = ci2 + ci4, ti4 = ci2 - ci4;
                float c0r = cc[CC(i - 1, k, 0)], c0i = cc[CC(i, k, 0)];
                float tr2 = c0r + cr3, tr3 = c0r - cr3;
                float ti2 = c0i + ci3, ti3 = c0i - ci3;
                PM(ch, CH(i - 1, 0, k), CH(ic - 1, 3, k), tr2, tr1);
                PM(ch, CH(i, 0, k), CH(ic, 3, k), ti1, ti2);
                PM(ch, CH(i - 1, 2, k), CH(ic - 1, 1, k), tr3, ti4);
                PM(ch, CH(i, 2, k), CH(ic, 1, k), tr4, ti3);
            }
    }

    static void Radf5(int ido, int l1, float[] cc, float[] ch, float[] wa)
    {
        const float tr11 = 0.3090169943749474241022934171828191f, ti11 = 0.9510565162951535721164393333793821f,
            tr12 = -0.8090169943749474241022934171828191f, ti12 = 0.5877852522924731291687059546390728f;
        int CC(int a, int b, int c) => a + ido * (b + l1 * c);
        int CH(int a, int b, int c) => a + ido * (b + 5 * c);
        int WA(int x, int i) => i + x * (ido - 1);

        for (int k = 0; k < l1; k++)
        {
            float c0 = cc[CC(0, k, 0)], c1 = cc[CC(0, k, 1)], c2 = cc[CC(0, k, 2)], c3 = cc[CC(0, k, 3)], c4 = cc[CC(0, k, 4)];
            float cr2 = c4 + c1, ci5 = c4 - c1;
            float cr3 = c3 + c2, ci4 = c3 - c2;
            ch[CH(0, 0, k)] = c0 + cr2 + cr3;
            ch[CH(ido - 1, 1, k)] = c0 + tr11 * cr2 + tr12 * cr3;
            ch[CH(0, 2, k)] = ti11 * ci5 + ti12 * ci4;
            ch[CH(ido - 1, 3, k)] = c0 + tr12 * cr2 + tr11 * cr3;
            ch[CH(0, 4, k)] = ti12 * ci5 - ti11 * ci4;
        }
        if (ido == 1) return;
        for (int k = 0; k < l1; k++)
            for (int i = 2, ic = ido - 2; i < ido; i += 2, ic -= 2)
            {
                float w0r = wa[WA(0, i - 2)], w0i = wa[WA(0, i - 1)], w1r = wa[WA(1, i - 2)], w1i = wa[WA(1, i - 1)];
                float w2r = wa[WA(2, i - 2)], w2i = wa[WA(2, i - 1)], w3r = wa[WA(3, i - 2)], w3i = wa[WA(3, i - 1)];
                float a1r = cc[CC(i - 1, k, 1)], a1i = cc[CC(i, k, 1)], a2r = cc[CC(i - 1, k, 2)], a2i = cc[CC(i, k, 2)];
                float a3r = cc[CC(i - 1, k, 3)], a3i = cc[CC(i, k, 3)], a4r = cc[CC(i - 1, k, 4)], a4i = cc[CC(i, k, 4)];
                float dr2 = w0r * a1r + w0i * a1i, di2 = w0r * a1i - w0i * a1r;
                float dr3 = w1r * a2r + w1i * a2i, di3 = w1r * a2i - w1i * a2r;
                float dr4 = w2r * a3r + w2i * a3i, di4 = w2r * a3i - w2i * a3r;
                float dr5 = w3r * a4r + w3i * a4i, di5 = w3r * a4i - w3i * a4r;
                (dr2, di2, dr5, di5) = (dr2 + dr5, di2 + di5, di2 - di5, dr5 - dr2);
                (dr3, di3, dr4, di4) = (dr3 + dr4, di3 + di4, di3 - di4, dr4 - dr3);
                float c0r = cc[CC(i - 1, k, 0)], c0i = cc[CC(i, k, 0)];
                ch[CH(i - 1, 0, k)] = c0r + dr2 + dr3;
                ch[CH(i, 0, k)] = c0i + di2 + di3;
                float tr2 = c0r + tr11 * dr2 + tr12 * dr3;
                float ti2 = c0i + tr11 * di2 + tr12 * di3;
                float tr3 = c0r + tr12 * dr2 + tr11 * dr3;
                float ti3 = c0i + tr12 * di2 + tr11 * di3;
                float tr5 = ti11 * dr5 + ti12 * dr4;
                float ti5 = ti11 * di5 + ti12 * di4;
                float tr4 = ti12 * dr5 - ti11 * dr4;
                float ti4 = ti12 * di5 - ti11 * di4;
                PM(ch, CH(i - 1, 2, k), CH(ic - 1, 1, k), tr2, tr5);
                PM(ch, CH(i, 2, k), CH(ic, 1, k), ti5, ti2);
                PM(ch, CH(i - 1, 4, k), CH(ic - 1, 3, k), tr3, tr4);
                PM(ch, CH(i, 4, k), CH(ic, 3, k), ti4, ti3);
            }
    }

    /// <summary>radfg, the generic odd-prime pass; works in place on <paramref name="cc"/>, which also holds the result.</summary>
    static void Radfg(int ido, int ip, int l1, float[] cc, float[] ch, float[] wa, float[] csarr)
    {
        int cdim = ip, ipph = (ip + 1) / 2, idl1 = ido * l1;
        int CC(int a, int b, int c) => a + ido * (b + cdim * c);
        int CH(int a, int b, int c) => a + ido * (b + l1 * c);
        int C1(int a, int b, int c) => a + ido * (b + l1 * c);
        int C2(int a, int b) => a + idl1 * b;

        if (ido > 1)
        {
            for (int j = 1, jc = ip - 1; j < ipph; j++, jc--)
            {
                int js = (j - 1) * (ido - 1), js2 = (jc - 1) * (ido - 1);
                for (int k = 0; k < l1; k++)
                {
                    int idij = js, idij2 = js2;
                    for (int i = 1; i <= ido - 2; i += 2)
                    {
                        float t1 = cc[C1(i, k, j)], t2 = cc[C1(i + 1, k, j)], t3 = cc[C1(i, k, jc)], t4 = cc[C1(i + 1, k, jc)];
                        float x1 = wa[idij] * t1 + wa[idij + 1] * t2,
                            x2 = wa[idij] * t2 - wa[idij + 1] * t1,
                            x3 = wa[idij2] * t3 + wa[idij2 + 1] * t4,
                            x4 = wa[idij2] * t4 - wa[idij2 + 1] * t3;
                        cc[C1(i, k, j)] = x3 + x1;
                        cc[C1(i + 1, k, jc)] = x3 - x1;
                        cc[C1(i + 1, k, j)] = x2 + x4;
                        cc[C1(i, k, jc)] = x2 - x4;
                        idij += 2;
                        idij2 += 2;
                    }
                }
            }
        }

        for (int j = 1, jc = ip - 1; j < ipph; j++, jc--)
            for (int k = 0; k < l1; k++)
            {
                // MPINPLACE(a = C1(0,k,jc), b = C1(0,k,j)): a −= b, b = a_old + b
                float a = cc[C1(0, k, jc)], b = cc[C1(0, k, j)];
                cc[C1(0, k, jc)] = a - b;
                cc[C1(0, k, j)] = a + b;
            }

        for (int l = 1, lc = ip - 1; l < ipph; l++, lc--)
        {
            for (int ik = 0; ik < idl1; ik++)
            {
                ch[C2(ik, l)] = cc[C2(ik, 0)] + csarr[2 * l] * cc[C2(ik, 1)] + csarr[4 * l] * cc[C2(ik, 2)];
                ch[C2(ik, lc)] = csarr[2 * l + 1] * cc[C2(ik, ip - 1)] + csarr[4 * l + 1] * cc[C2(ik, ip - 2)];
            }
            int iang = 2 * l, j = 3, jc = ip - 3;
            for (; j < ipph - 3; j += 4, jc -= 4)
            {
                iang += l; if (iang >= ip) iang -= ip;
                float ar1 = csarr[2 * iang], ai1 = csarr[2 * iang + 1];
                iang += l; if (iang >= ip) iang -= ip;
                float ar2 = csarr[2 * iang], ai2 = csarr[2 * iang + 1];
                iang += l; if (iang >= ip) iang -= ip;
                float ar3 = csarr[2 * iang], ai3 = csarr[2 * iang + 1];
                iang += l; if (iang >= ip) iang -= ip;
                float ar4 = csarr[2 * iang], ai4 = csarr[2 * iang + 1];
                for (int ik = 0; ik < idl1; ik++)
                {
                    ch[C2(ik, l)] += ar1 * cc[C2(ik, j)] + ar2 * cc[C2(ik, j + 1)] + ar3 * cc[C2(ik, j + 2)] + ar4 * cc[C2(ik, j + 3)];
                    ch[C2(ik, lc)] += ai1 * cc[C2(ik, jc)] + ai2 * cc[C2(ik, jc - 1)] + ai3 * cc[C2(ik, jc - 2)] + ai4 * cc[C2(ik, jc - 3)];
                }
            }
            for (; j < ipph - 1; j += 2, jc -= 2)
            {
                iang += l; if (iang >= ip) iang -= ip;
                float ar1 = csarr[2 * iang], ai1 = csarr[2 * iang + 1];
                iang += l; if (iang >= ip) iang -= ip;
                float ar2 = csarr[2 * iang], ai2 = csarr[2 * iang + 1];
                for (int ik = 0; ik < idl1; ik++)
                {
                    ch[C2(ik, l)] += ar1 * cc[C2(ik, j)] + ar2 * cc[C2(ik, j + 1)];
                    ch[C2(ik, lc)] += ai1 * cc[C2(ik, jc)] + ai2 * cc[C2(ik, jc - 1)];
                }
            }
            for (; j < ipph; j++, jc--)
            {
                iang += l; if (iang >= ip) iang -= ip;
                float ar = csarr[2 * iang], ai = csarr[2 * iang + 1];
                for (int ik = 0; ik < idl1; ik++)
                {
                    ch[C2(ik, l)] += ar * cc[C2(ik, j)];
                    ch[C2(ik, lc)] += ai * cc[C2(ik, jc)];
                }
            }
        }
        for (int ik = 0; ik < idl1; ik++) ch[C2(ik, 0)] = cc[C2(ik, 0)];
        for (int j = 1; j < ipph; j++)
            for (int ik = 0; ik < idl1; ik++) ch[C2(ik, 0)] += cc[C2(ik, j)];

        for (int k = 0; k < l1; k++)
            for (int i = 0; i < ido; i++) cc[CC(i, 0, k)] = ch[CH(i, k, 0)];

        for (int j = 1, jc = ip - 1; j < ipph; j++, jc--)
        {
            int j2 = 2 * j - 1;
            for (int k = 0; k < l1; k++)
            {
                cc[CC(ido - 1, j2, k)] = ch[CH(0, k, j)];
                cc[CC(0, j2 + 1, k)] = ch[CH(0, k, jc)];
            }
        }
        if (ido == 1) return;

        for (int j = 1, jc = ip - 1; j < ipph; j++, jc--)
        {
            int j2 = 2 * j - 1;
            for (int k = 0; k < l1; k++)
                for (int i = 1, ic = ido - i - 2; i <= ido - 2; i += 2, ic -= 2)
                {
                    cc[CC(i, j2 + 1, k)] = ch[CH(i, k, j)] + ch[CH(i, k, jc)];
                    cc[CC(ic, j2, k)] = ch[CH(i, k, j)] - ch[CH(i, k, jc)];
                    cc[CC(i + 1, j2 + 1, k)] = ch[CH(i + 1, k, j)] + ch[CH(i + 1, k, jc)];
                    cc[CC(ic + 1, j2, k)] = ch[CH(i + 1, k, jc)] - ch[CH(i + 1, k, j)];
                }
        }
    }
}
