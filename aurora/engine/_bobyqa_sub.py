"""BOBYQA's subroutines TRSBOX and UPDATE (minqa's Fortran, transcribed; 1-based
lists). See :mod:`aurora.engine.bobyqa`."""
from __future__ import annotations

import math

__all__ = ["trsbox", "update"]


def _hs_product(n, npt, xpt, hq, pq, s, hs):
    ih = 0
    for j in range(1, n + 1):
        hs[j] = 0.0
        for i in range(1, j + 1):
            ih += 1
            if i < j:
                hs[j] = hs[j] + hq[ih] * s[i]
            hs[i] = hs[i] + hq[ih] * s[j]
    for k in range(1, npt + 1):
        if pq[k] != 0.0:
            temp = 0.0
            for j in range(1, n + 1):
                temp = temp + xpt[k][j] * s[j]
            temp = temp * pq[k]
            for i in range(1, n + 1):
                hs[i] = hs[i] + temp * xpt[k][i]


def trsbox(n, npt, xpt, xopt, gopt, hq, pq, sl, su, delta, xnew, d, gnew):
    """TRSBOX: a truncated conjugate-gradient step in the trust region and the box.
    Fills ``xnew``, ``d`` and ``gnew``; returns ``(dsq, crvmin)``."""
    xbdi = [0.0] * (n + 1)
    s = [0.0] * (n + 1)
    hs = [0.0] * (n + 1)
    hred = [0.0] * (n + 1)
    iterc = 0
    nact = 0
    for i in range(1, n + 1):
        xbdi[i] = 0.0
        if xopt[i] <= sl[i]:
            if gopt[i] >= 0.0:
                xbdi[i] = -1.0
        elif xopt[i] >= su[i]:
            if gopt[i] <= 0.0:
                xbdi[i] = 1.0
        if xbdi[i] != 0.0:
            nact += 1
        d[i] = 0.0
        gnew[i] = gopt[i]
    delsq = delta * delta
    qred = 0.0
    crvmin = -1.0
    beta = stepsq = gredsq = ggsav = shs = 0.0
    itermax = itcsav = iact = 0
    dredsq = dredg = sredg = angbd = xsav = 0.0
    label = 20
    while True:
        if label == 20:
            beta = 0.0
            label = 30
        if label == 30:
            stepsq = 0.0
            for i in range(1, n + 1):
                if xbdi[i] != 0.0:
                    s[i] = 0.0
                elif beta == 0.0:
                    s[i] = -gnew[i]
                else:
                    s[i] = beta * s[i] - gnew[i]
                stepsq = stepsq + s[i] ** 2
            if stepsq == 0.0:
                label = 190
                continue
            if beta == 0.0:
                gredsq = stepsq
                itermax = iterc + n - nact
            if gredsq * delsq <= 1.0e-4 * qred * qred:
                label = 190
                continue
            label = 210
            continue
        if label == 50:
            resid = delsq
            ds = 0.0
            shs = 0.0
            for i in range(1, n + 1):
                if xbdi[i] == 0.0:
                    resid = resid - d[i] ** 2
                    ds = ds + s[i] * d[i]
                    shs = shs + s[i] * hs[i]
            if resid <= 0.0:
                label = 90
                continue
            temp = math.sqrt(stepsq * resid + ds * ds)
            if ds < 0.0:
                blen = (temp - ds) / stepsq
            else:
                blen = resid / (temp + ds)
            stplen = blen
            if shs > 0.0:
                stplen = min(blen, gredsq / shs)
            iact = 0
            for i in range(1, n + 1):
                if s[i] != 0.0:
                    xsum = xopt[i] + d[i]
                    if s[i] > 0.0:
                        temp = (su[i] - xsum) / s[i]
                    else:
                        temp = (sl[i] - xsum) / s[i]
                    if temp < stplen:
                        stplen = temp
                        iact = i
            sdec = 0.0
            if stplen > 0.0:
                iterc += 1
                temp = shs / stepsq
                if iact == 0 and temp > 0.0:
                    crvmin = min(crvmin, temp)
                    if crvmin == -1.0:
                        crvmin = temp
                ggsav = gredsq
                gredsq = 0.0
                for i in range(1, n + 1):
                    gnew[i] = gnew[i] + stplen * hs[i]
                    if xbdi[i] == 0.0:
                        gredsq = gredsq + gnew[i] ** 2
                    d[i] = d[i] + stplen * s[i]
                sdec = max(stplen * (ggsav - 0.5 * stplen * shs), 0.0)
                qred = qred + sdec
            if iact > 0:
                nact += 1
                xbdi[iact] = 1.0
                if s[iact] < 0.0:
                    xbdi[iact] = -1.0
                delsq = delsq - d[iact] ** 2
                if delsq <= 0.0:
                    label = 90
                    continue
                label = 20
                continue
            if stplen < blen:
                if iterc == itermax:
                    label = 190
                    continue
                if sdec <= 0.01 * qred:
                    label = 190
                    continue
                beta = gredsq / ggsav
                label = 30
                continue
            label = 90
        if label == 90:
            crvmin = 0.0
            label = 100
        if label == 100:
            if nact >= n - 1:
                label = 190
                continue
            dredsq = 0.0
            dredg = 0.0
            gredsq = 0.0
            for i in range(1, n + 1):
                if xbdi[i] == 0.0:
                    dredsq = dredsq + d[i] ** 2
                    dredg = dredg + d[i] * gnew[i]
                    gredsq = gredsq + gnew[i] ** 2
                    s[i] = d[i]
                else:
                    s[i] = 0.0
            itcsav = iterc
            label = 210
            continue
        if label == 120:
            iterc += 1
            temp = gredsq * dredsq - dredg * dredg
            if temp <= 1.0e-4 * qred * qred:
                label = 190
                continue
            temp = math.sqrt(temp)
            for i in range(1, n + 1):
                if xbdi[i] == 0.0:
                    s[i] = (dredg * d[i] - dredsq * gnew[i]) / temp
                else:
                    s[i] = 0.0
            sredg = -temp
            angbd = 1.0
            iact = 0
            goto100 = False
            for i in range(1, n + 1):
                if xbdi[i] == 0.0:
                    tempa = xopt[i] + d[i] - sl[i]
                    tempb = su[i] - xopt[i] - d[i]
                    if tempa <= 0.0:
                        nact += 1
                        xbdi[i] = -1.0
                        goto100 = True
                        break
                    elif tempb <= 0.0:
                        nact += 1
                        xbdi[i] = 1.0
                        goto100 = True
                        break
                    ssq = d[i] ** 2 + s[i] ** 2
                    temp = ssq - (xopt[i] - sl[i]) ** 2
                    if temp > 0.0:
                        temp = math.sqrt(temp) - s[i]
                        if angbd * temp > tempa:
                            angbd = tempa / temp
                            iact = i
                            xsav = -1.0
                    temp = ssq - (su[i] - xopt[i]) ** 2
                    if temp > 0.0:
                        temp = math.sqrt(temp) + s[i]
                        if angbd * temp > tempb:
                            angbd = tempb / temp
                            iact = i
                            xsav = 1.0
            label = 100 if goto100 else 210
            continue
        if label == 150:
            shs = dhs = dhd = 0.0
            for i in range(1, n + 1):
                if xbdi[i] == 0.0:
                    shs = shs + s[i] * hs[i]
                    dhs = dhs + d[i] * hs[i]
                    dhd = dhd + d[i] * hred[i]
            redmax = 0.0
            isav = 0
            redsav = 0.0
            rdprev = rdnext = 0.0
            iu = int(17.0 * angbd + 3.1)
            for i in range(1, iu + 1):
                angt = angbd * float(i) / float(iu)
                sth = (angt + angt) / (1.0 + angt * angt)
                temp = shs + angt * (angt * dhd - dhs - dhs)
                rednew = sth * (angt * dredg - sredg - 0.5 * sth * temp)
                if rednew > redmax:
                    redmax = rednew
                    isav = i
                    rdprev = redsav
                elif i == isav + 1:
                    rdnext = rednew
                redsav = rednew
            if isav == 0:
                label = 190
                continue
            if isav < iu:
                temp = (rdnext - rdprev) / (redmax + redmax - rdprev - rdnext)
                angt = angbd * (float(isav) + 0.5 * temp) / float(iu)
            cth = (1.0 - angt * angt) / (1.0 + angt * angt)
            sth = (angt + angt) / (1.0 + angt * angt)
            temp = shs + angt * (angt * dhd - dhs - dhs)
            sdec = sth * (angt * dredg - sredg - 0.5 * sth * temp)
            if sdec <= 0.0:
                label = 190
                continue
            dredg = 0.0
            gredsq = 0.0
            for i in range(1, n + 1):
                gnew[i] = gnew[i] + (cth - 1.0) * hred[i] + sth * hs[i]
                if xbdi[i] == 0.0:
                    d[i] = cth * d[i] + sth * s[i]
                    dredg = dredg + d[i] * gnew[i]
                    gredsq = gredsq + gnew[i] ** 2
                hred[i] = cth * hred[i] + sth * hs[i]
            qred = qred + sdec
            if iact > 0 and isav == iu:
                nact += 1
                xbdi[iact] = xsav
                label = 100
                continue
            if sdec > 0.01 * qred:
                label = 120
                continue
            label = 190
        if label == 190:
            dsq = 0.0
            for i in range(1, n + 1):
                xnew[i] = max(min(xopt[i] + d[i], su[i]), sl[i])
                if xbdi[i] == -1.0:
                    xnew[i] = sl[i]
                if xbdi[i] == 1.0:
                    xnew[i] = su[i]
                d[i] = xnew[i] - xopt[i]
                dsq = dsq + d[i] ** 2
            return dsq, crvmin
        if label == 210:
            _hs_product(n, npt, xpt, hq, pq, s, hs)
            if crvmin != 0.0:
                label = 50
            elif iterc > itcsav:
                label = 150
            else:
                for i in range(1, n + 1):
                    hred[i] = hs[i]
                label = 120


def update(n, npt, bmat, zmat, vlag, beta, denom, knew):
    """UPDATE (minqa's ``updatebobyqa``): the new ``bmat`` and ``zmat`` after point
    ``knew`` moves."""
    nptm = npt - n - 1
    w = [0.0] * (npt + n + 1)
    ztest = 0.0
    for k in range(1, npt + 1):
        for j in range(1, nptm + 1):
            ztest = max(ztest, abs(zmat[k][j]))
    ztest = 1.0e-20 * ztest
    for j in range(2, nptm + 1):
        if abs(zmat[knew][j]) > ztest:
            temp = math.sqrt(zmat[knew][1] ** 2 + zmat[knew][j] ** 2)
            tempa = zmat[knew][1] / temp
            tempb = zmat[knew][j] / temp
            for i in range(1, npt + 1):
                temp = tempa * zmat[i][1] + tempb * zmat[i][j]
                zmat[i][j] = tempa * zmat[i][j] - tempb * zmat[i][1]
                zmat[i][1] = temp
        zmat[knew][j] = 0.0
    for i in range(1, npt + 1):
        w[i] = zmat[knew][1] * zmat[i][1]
    alpha = w[knew]
    tau = vlag[knew]
    vlag[knew] = vlag[knew] - 1.0
    temp = math.sqrt(denom)
    tempb = zmat[knew][1] / temp
    tempa = tau / temp
    for i in range(1, npt + 1):
        zmat[i][1] = tempa * zmat[i][1] - tempb * vlag[i]
    for j in range(1, n + 1):
        jp = npt + j
        w[jp] = bmat[knew][j]
        tempa = (alpha * vlag[jp] - tau * w[jp]) / denom
        tempb = (-beta * w[jp] - tau * vlag[jp]) / denom
        for i in range(1, jp + 1):
            bmat[i][j] = bmat[i][j] + tempa * vlag[i] + tempb * w[i]
            if i > npt:
                bmat[jp][i - npt] = bmat[i][j]
