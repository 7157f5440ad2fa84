"""BOBYQA's ALTMOV and two blocks of BOBYQB (the shift of the base point, the test of the
model's gradient), from minqa's Fortran, transcribed (1-based lists). See
:mod:`aurora.engine.bobyqa`."""
from __future__ import annotations

import math

__all__ = ["altmov", "shift_base", "gradient_test"]


def altmov(n, npt, xpt, xopt, bmat, zmat, sl, su, kopt, knew, adelt, xnew, xalt):
    """ALTMOV: the point that keeps the interpolation well poised (``xnew``) and the
    Cauchy alternative (``xalt``); returns ``(alpha, cauchy)``."""
    const = 1.0 + math.sqrt(2.0)
    hcol = [0.0] * (npt + 1)
    glag = [0.0] * (n + 1)
    w = [0.0] * (2 * n + 1)
    for j in range(1, npt - n - 1 + 1):
        temp = zmat[knew][j]
        for k in range(1, npt + 1):
            hcol[k] = hcol[k] + temp * zmat[k][j]
    alpha = hcol[knew]
    ha = 0.5 * alpha
    for i in range(1, n + 1):
        glag[i] = bmat[knew][i]
    for k in range(1, npt + 1):
        temp = 0.0
        for j in range(1, n + 1):
            temp = temp + xpt[k][j] * xopt[j]
        temp = hcol[k] * temp
        for i in range(1, n + 1):
            glag[i] = glag[i] + temp * xpt[k][i]
    presav = 0.0
    ksav = stpsav = 0
    for k in range(1, npt + 1):
        if k == kopt:
            continue
        dderiv = 0.0
        distsq = 0.0
        for i in range(1, n + 1):
            temp = xpt[k][i] - xopt[i]
            dderiv = dderiv + glag[i] * temp
            distsq = distsq + temp * temp
        subd = adelt / math.sqrt(distsq)
        slbd = -subd
        sumin = min(1.0, subd)
        for i in range(1, n + 1):
            temp = xpt[k][i] - xopt[i]
            if temp > 0.0:
                if slbd * temp < sl[i] - xopt[i]:
                    slbd = (sl[i] - xopt[i]) / temp
                if subd * temp > su[i] - xopt[i]:
                    subd = max(sumin, (su[i] - xopt[i]) / temp)
            elif temp < 0.0:
                if slbd * temp > su[i] - xopt[i]:
                    slbd = (su[i] - xopt[i]) / temp
                if subd * temp < sl[i] - xopt[i]:
                    subd = max(sumin, (sl[i] - xopt[i]) / temp)
        if k == knew:
            diff = dderiv - 1.0
            step = slbd
            vlag = slbd * (dderiv - slbd * diff)
            temp = subd * (dderiv - subd * diff)
            if abs(temp) > abs(vlag):
                step = subd
                vlag = temp
            tempd = 0.5 * dderiv
            tempa = tempd - diff * slbd
            tempb = tempd - diff * subd
            if tempa * tempb < 0.0:
                temp = tempd * tempd / diff
                if abs(temp) > abs(vlag):
                    step = tempd / diff
                    vlag = temp
        else:
            step = slbd
            vlag = slbd * (1.0 - slbd)
            temp = subd * (1.0 - subd)
            if abs(temp) > abs(vlag):
                step = subd
                vlag = temp
            if subd > 0.5 and abs(vlag) < 0.25:
                step = 0.5
                vlag = 0.25
            vlag = vlag * dderiv
        temp = step * (1.0 - step) * distsq
        predsq = vlag * vlag * (vlag * vlag + ha * temp * temp)
        if predsq > presav:
            presav = predsq
            ksav = k
            stpsav = step
    # minqa sets IBDSAV = 0 here, so no coordinate is put on a bound explicitly
    for i in range(1, n + 1):
        temp = xopt[i] + stpsav * (xpt[ksav][i] - xopt[i])
        xnew[i] = max(sl[i], min(su[i], temp))
    bigstp = adelt + adelt
    iflag = 0
    csave = 0.0
    while True:
        wfixsq = 0.0
        ggfree = 0.0
        for i in range(1, n + 1):
            w[i] = 0.0
            tempa = min(xopt[i] - sl[i], glag[i])
            tempb = max(xopt[i] - su[i], glag[i])
            if tempa > 0.0 or tempb < 0.0:
                w[i] = bigstp
                ggfree = ggfree + glag[i] ** 2
        if ggfree == 0.0:
            return alpha, 0.0
        step = 0.0
        while True:
            temp = adelt * adelt - wfixsq
            if temp > 0.0:
                wsqsav = wfixsq
                step = math.sqrt(temp / ggfree)
                ggfree = 0.0
                for i in range(1, n + 1):
                    if w[i] == bigstp:
                        temp = xopt[i] - step * glag[i]
                        if temp <= sl[i]:
                            w[i] = sl[i] - xopt[i]
                            wfixsq = wfixsq + w[i] ** 2
                        elif temp >= su[i]:
                            w[i] = su[i] - xopt[i]
                            wfixsq = wfixsq + w[i] ** 2
                        else:
                            ggfree = ggfree + glag[i] ** 2
                if wfixsq > wsqsav and ggfree > 0.0:
                    continue
            break
        gw = 0.0
        for i in range(1, n + 1):
            if w[i] == bigstp:
                w[i] = -step * glag[i]
                xalt[i] = max(sl[i], min(su[i], xopt[i] + w[i]))
            elif w[i] == 0.0:
                xalt[i] = xopt[i]
            elif glag[i] > 0.0:
                xalt[i] = sl[i]
            else:
                xalt[i] = su[i]
            gw = gw + glag[i] * w[i]
        curv = 0.0
        for k in range(1, npt + 1):
            temp = 0.0
            for j in range(1, n + 1):
                temp = temp + xpt[k][j] * w[j]
            curv = curv + hcol[k] * temp * temp
        if iflag == 1:
            curv = -curv
        if -gw < curv < -const * gw:
            scale = -gw / curv
            for i in range(1, n + 1):
                temp = xopt[i] + scale * w[i]
                xalt[i] = max(sl[i], min(su[i], temp))
            cauchy = (0.5 * gw * scale) ** 2
        else:
            cauchy = (gw + 0.5 * curv) ** 2
        if iflag == 0:
            for i in range(1, n + 1):
                glag[i] = -glag[i]
                w[n + i] = xalt[i]
            csave = cauchy
            iflag = 1
            continue
        if csave > cauchy:
            for i in range(1, n + 1):
                xalt[i] = w[n + i]
            cauchy = csave
        return alpha, cauchy


def shift_base(n, npt, nptm, xoptsq, xpt, xopt, bmat, zmat, pq, hq, xbase, xnew, sl, su,
                vlag, w):
    """BOBYQB's shift of XBASE to XOPT (the block after label 90)."""
    fracsq = 0.25 * xoptsq
    sumpq = 0.0
    for k in range(1, npt + 1):
        sumpq = sumpq + pq[k]
        sm = -0.5 * xoptsq
        for i in range(1, n + 1):
            sm = sm + xpt[k][i] * xopt[i]
        w[npt + k] = sm
        temp = fracsq - 0.5 * sm
        for i in range(1, n + 1):
            w[i] = bmat[k][i]
            vlag[i] = sm * xpt[k][i] + temp * xopt[i]
            ip = npt + i
            for j in range(1, i + 1):
                bmat[ip][j] = bmat[ip][j] + w[i] * vlag[j] + vlag[i] * w[j]
    for jj in range(1, nptm + 1):
        sumz = sumw = 0.0
        for k in range(1, npt + 1):
            sumz = sumz + zmat[k][jj]
            vlag[k] = w[npt + k] * zmat[k][jj]
            sumw = sumw + vlag[k]
        for j in range(1, n + 1):
            sm = (fracsq * sumz - 0.5 * sumw) * xopt[j]
            for k in range(1, npt + 1):
                sm = sm + vlag[k] * xpt[k][j]
            w[j] = sm
            for k in range(1, npt + 1):
                bmat[k][j] = bmat[k][j] + sm * zmat[k][jj]
        for i in range(1, n + 1):
            ip = i + npt
            temp = w[i]
            for j in range(1, i + 1):
                bmat[ip][j] = bmat[ip][j] + temp * w[j]
    ih = 0
    for j in range(1, n + 1):
        w[j] = -0.5 * sumpq * xopt[j]
        for k in range(1, npt + 1):
            w[j] = w[j] + pq[k] * xpt[k][j]
            xpt[k][j] = xpt[k][j] - xopt[j]
        for i in range(1, j + 1):
            ih += 1
            hq[ih] = hq[ih] + w[i] * xopt[j] + xopt[i] * w[j]
            bmat[npt + i][j] = bmat[npt + j][i]
    for i in range(1, n + 1):
        xbase[i] = xbase[i] + xopt[i]
        xnew[i] = xnew[i] - xopt[i]
        sl[i] = sl[i] - xopt[i]
        su[i] = su[i] - xopt[i]
        xopt[i] = 0.0


def gradient_test(n, npt, nptm, nh, fval, kopt, zmat, xpt, xopt, bmat, sl, su, gopt, pq, hq,
                   vlag, w, itest):
    """BOBYQB's test of the quadratic model's gradient against the interpolant's (three
    failures in a row replace the model by the minimum-norm one)."""
    for k in range(1, npt + 1):
        vlag[k] = fval[k] - fval[kopt]
        w[k] = 0.0
    for j in range(1, nptm + 1):
        sm = 0.0
        for k in range(1, npt + 1):
            sm = sm + zmat[k][j] * vlag[k]
        for k in range(1, npt + 1):
            w[k] = w[k] + sm * zmat[k][j]
    for k in range(1, npt + 1):
        sm = 0.0
        for j in range(1, n + 1):
            sm = sm + xpt[k][j] * xopt[j]
        w[k + npt] = w[k]
        w[k] = sm * w[k]
    gqsq = gisq = 0.0
    for i in range(1, n + 1):
        sm = 0.0
        for k in range(1, npt + 1):
            sm = sm + bmat[k][i] * vlag[k] + xpt[k][i] * w[k]
        if xopt[i] == sl[i]:
            gqsq = gqsq + min(0.0, gopt[i]) ** 2
            gisq = gisq + min(0.0, sm) ** 2
        elif xopt[i] == su[i]:
            gqsq = gqsq + max(0.0, gopt[i]) ** 2
            gisq = gisq + max(0.0, sm) ** 2
        else:
            gqsq = gqsq + gopt[i] ** 2
            gisq = gisq + sm * sm
        vlag[npt + i] = sm
    itest += 1
    if gqsq < 10.0 * gisq:
        itest = 0
    if itest >= 3:
        for i in range(1, max(npt, nh) + 1):
            if i <= n:
                gopt[i] = vlag[npt + i]
            if i <= npt:
                pq[i] = w[npt + i]
            if i <= nh:
                hq[i] = 0.0
            itest = 0
    return itest
