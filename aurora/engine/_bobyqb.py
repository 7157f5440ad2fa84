"""BOBYQA's main loop BOBYQB (minqa's Fortran, transcribed; 1-based lists, labels as
states). See :mod:`aurora.engine.bobyqa`."""
from __future__ import annotations

import math

from aurora.engine._bobyqa_model import altmov, gradient_test, shift_base
from aurora.engine._bobyqa_sub import trsbox, update

__all__ = ["bobyqb"]


def _z(*shape):
    if len(shape) == 1:
        return [0.0] * (shape[0] + 1)
    return [[0.0] * (shape[1] + 1) for _ in range(shape[0] + 1)]


def bobyqb(n, npt, x, xl, xu, rhobeg, rhoend, maxfun, sl, su, calfun):
    """Run BOBYQB; ``x`` is overwritten with the solution. Returns ``(f, ierr)``."""
    from aurora.engine.bobyqa import _prelim

    np1 = n + 1
    nptm = npt - np1
    nh = (n * np1) // 2
    ndim = npt + n
    xbase, fval, xopt, gopt = _z(n), _z(npt), _z(n), _z(n)
    hq, pq = _z(nh), _z(npt)
    xpt, bmat, zmat = _z(npt, n), _z(ndim, n), _z(npt, max(nptm, 1))
    xnew, xalt, d, vlag = _z(n), _z(n), _z(n), _z(ndim)
    w = _z(3 * ndim)
    ierr = 0
    nf, kopt = _prelim(n, npt, x, xl, xu, rhobeg, maxfun, xbase, xpt, fval, gopt, hq, pq,
                       bmat, zmat, sl, su, calfun)
    xoptsq = 0.0
    for i in range(1, n + 1):
        xopt[i] = xpt[kopt][i]
        xoptsq = xoptsq + xopt[i] ** 2
    fsave = fval[1]
    f = fval[nf]
    if nf < npt:
        return _finish(n, x, xl, xu, xbase, xopt, sl, su, fval, kopt, fsave, f, 1)
    kbase = 1
    rho = rhobeg
    delta = rho
    nresc = nf
    ntrits = 0
    diffa = diffb = diffc = 0.0
    itest = 0
    nfsav = nf
    dnorm = dsq = crvmin = ratio = 0.0
    knew = 0
    adelt = alpha = cauchy = beta = denom = distsq = 0.0
    fopt = vquad = diff = 0.0
    label = 20
    while True:
        if label == 20:
            if kopt != kbase:
                ih = 0
                for j in range(1, n + 1):
                    for i in range(1, j + 1):
                        ih += 1
                        if i < j:
                            gopt[j] = gopt[j] + hq[ih] * xopt[i]
                        gopt[i] = gopt[i] + hq[ih] * xopt[j]
                if nf > npt:
                    for k in range(1, npt + 1):
                        temp = 0.0
                        for j in range(1, n + 1):
                            temp = temp + xpt[k][j] * xopt[j]
                        temp = pq[k] * temp
                        for i in range(1, n + 1):
                            gopt[i] = gopt[i] + temp * xpt[k][i]
            label = 60
        if label == 60:
            gnew = _z(n)
            dsq, crvmin = trsbox(n, npt, xpt, xopt, gopt, hq, pq, sl, su, delta, xnew, d, gnew)
            for i in range(1, n + 1):  # TRSBOX's GNEW is BOBYQB's W(1..N)
                w[i] = gnew[i]
            dnorm = min(delta, math.sqrt(dsq))
            if dnorm < 0.5 * rho:
                ntrits = -1
                distsq = (10.0 * rho) ** 2
                if nf <= nfsav + 2:
                    label = 650
                    continue
                errbig = max(diffa, diffb, diffc)
                frhosq = 0.125 * rho * rho
                if crvmin > 0.0 and errbig > frhosq * crvmin:
                    label = 650
                    continue
                bdtol = errbig / rho
                go650 = False
                for j in range(1, n + 1):
                    bdtest = bdtol
                    if xnew[j] == sl[j]:
                        bdtest = w[j]
                    if xnew[j] == su[j]:
                        bdtest = -w[j]
                    if bdtest < bdtol:
                        curv = hq[(j + j * j) // 2]
                        for k in range(1, npt + 1):
                            curv = curv + pq[k] * xpt[k][j] ** 2
                        bdtest = bdtest + 0.5 * curv * rho
                        if bdtest < bdtol:
                            go650 = True
                            break
                label = 650 if go650 else 680
                continue
            ntrits += 1
            label = 90
        if label == 90:
            if dsq <= 1.0e-3 * xoptsq:
                shift_base(n, npt, nptm, xoptsq, xpt, xopt, bmat, zmat, pq, hq, xbase, xnew,
                            sl, su, vlag, w)
                xoptsq = 0.0
            label = 210 if ntrits == 0 else 230
        if label == 190:  # RESCUE is not transcribed: stop at the best point
            return _finish(n, x, xl, xu, xbase, xopt, sl, su, fval, kopt, fsave, f, 5)
        if label == 210:
            alpha, cauchy = altmov(n, npt, xpt, xopt, bmat, zmat, sl, su, kopt, knew, adelt,
                                   xnew, xalt)
            for i in range(1, n + 1):
                d[i] = xnew[i] - xopt[i]
            label = 230
        if label == 230:
            for k in range(1, npt + 1):
                suma = sumb = sm = 0.0
                for j in range(1, n + 1):
                    suma = suma + xpt[k][j] * d[j]
                    sumb = sumb + xpt[k][j] * xopt[j]
                    sm = sm + bmat[k][j] * d[j]
                w[k] = suma * (0.5 * suma + sumb)
                vlag[k] = sm
                w[npt + k] = suma
            beta = 0.0
            for jj in range(1, nptm + 1):
                sm = 0.0
                for k in range(1, npt + 1):
                    sm = sm + zmat[k][jj] * w[k]
                beta = beta - sm * sm
                for k in range(1, npt + 1):
                    vlag[k] = vlag[k] + sm * zmat[k][jj]
            dsq = bsum = dx = 0.0
            for j in range(1, n + 1):
                dsq = dsq + d[j] ** 2
                sm = 0.0
                for k in range(1, npt + 1):
                    sm = sm + w[k] * bmat[k][j]
                bsum = bsum + sm * d[j]
                jp = npt + j
                for i in range(1, n + 1):
                    sm = sm + bmat[jp][i] * d[i]
                vlag[jp] = sm
                bsum = bsum + sm * d[j]
                dx = dx + d[j] * xopt[j]
            beta = dx * dx + dsq * (xoptsq + dx + dx + 0.5 * dsq) + beta - bsum
            vlag[kopt] = vlag[kopt] + 1.0
            if ntrits == 0:
                denom = vlag[knew] ** 2 + alpha * beta
                if denom < cauchy and cauchy > 0.0:
                    for i in range(1, n + 1):
                        xnew[i] = xalt[i]
                        d[i] = xnew[i] - xopt[i]
                    cauchy = 0.0
                    label = 230
                    continue
                if denom <= 0.5 * vlag[knew] ** 2:
                    if nf > nresc:
                        label = 190
                        continue
                    return _finish(n, x, xl, xu, xbase, xopt, sl, su, fval, kopt, fsave, f, 5)
            else:
                delsq = delta * delta
                scaden = biglsq = 0.0
                knew = 0
                for k in range(1, npt + 1):
                    if k == kopt:
                        continue
                    hdiag = 0.0
                    for jj in range(1, nptm + 1):
                        hdiag = hdiag + zmat[k][jj] ** 2
                    den = beta * hdiag + vlag[k] ** 2
                    distsq = 0.0
                    for j in range(1, n + 1):
                        distsq = distsq + (xpt[k][j] - xopt[j]) ** 2
                    temp = max(1.0, (distsq / delsq) ** 2)
                    if temp * den > scaden:
                        scaden = temp * den
                        knew = k
                        denom = den
                    biglsq = max(biglsq, temp * vlag[k] ** 2)
                if scaden <= 0.5 * biglsq:
                    if nf > nresc:
                        label = 190
                        continue
                    return _finish(n, x, xl, xu, xbase, xopt, sl, su, fval, kopt, fsave, f, 5)
            label = 360
        if label == 360:
            for i in range(1, n + 1):
                x[i] = min(max(xl[i], xbase[i] + xnew[i]), xu[i])
                if xnew[i] == sl[i]:
                    x[i] = xl[i]
                if xnew[i] == su[i]:
                    x[i] = xu[i]
            if nf >= maxfun:
                return _finish(n, x, xl, xu, xbase, xopt, sl, su, fval, kopt, fsave, f, 1)
            nf += 1
            f = calfun(x)
            if ntrits == -1:
                fsave = f
                return _finish(n, x, xl, xu, xbase, xopt, sl, su, fval, kopt, fsave, f, ierr)
            fopt = fval[kopt]
            vquad = 0.0
            ih = 0
            for j in range(1, n + 1):
                vquad = vquad + d[j] * gopt[j]
                for i in range(1, j + 1):
                    ih += 1
                    temp = d[i] * d[j]
                    if i == j:
                        temp = 0.5 * temp
                    vquad = vquad + hq[ih] * temp
            for k in range(1, npt + 1):
                vquad = vquad + 0.5 * pq[k] * w[npt + k] ** 2
            diff = f - fopt - vquad
            diffc = diffb
            diffb = diffa
            diffa = abs(diff)
            if dnorm > rho:
                nfsav = nf
            if ntrits > 0:
                if vquad >= 0.0:
                    return _finish(n, x, xl, xu, xbase, xopt, sl, su, fval, kopt, fsave, f, 3)
                ratio = (f - fopt) / vquad
                if ratio <= 0.1:
                    delta = min(0.5 * delta, dnorm)
                elif ratio <= 0.7:
                    delta = max(0.5 * delta, dnorm)
                else:
                    delta = max(0.5 * delta, dnorm + dnorm)
                if delta <= 1.5 * rho:
                    delta = rho
                if f < fopt:
                    ksav = knew
                    densav = denom
                    delsq = delta * delta
                    scaden = biglsq = 0.0
                    knew = 0
                    for k in range(1, npt + 1):
                        hdiag = 0.0
                        for jj in range(1, nptm + 1):
                            hdiag = hdiag + zmat[k][jj] ** 2
                        den = beta * hdiag + vlag[k] ** 2
                        distsq = 0.0
                        for j in range(1, n + 1):
                            distsq = distsq + (xpt[k][j] - xnew[j]) ** 2
                        temp = max(1.0, (distsq / delsq) ** 2)
                        if temp * den > scaden:
                            scaden = temp * den
                            knew = k
                            denom = den
                        biglsq = max(biglsq, temp * vlag[k] ** 2)
                    if scaden <= 0.5 * biglsq:
                        knew = ksav
                        denom = densav
            update(n, npt, bmat, zmat, vlag, beta, denom, knew)
            ih = 0
            pqold = pq[knew]
            pq[knew] = 0.0
            for i in range(1, n + 1):
                temp = pqold * xpt[knew][i]
                for j in range(1, i + 1):
                    ih += 1
                    hq[ih] = hq[ih] + temp * xpt[knew][j]
            for jj in range(1, nptm + 1):
                temp = diff * zmat[knew][jj]
                for k in range(1, npt + 1):
                    pq[k] = pq[k] + temp * zmat[k][jj]
            fval[knew] = f
            for i in range(1, n + 1):
                xpt[knew][i] = xnew[i]
                w[i] = bmat[knew][i]
            for k in range(1, npt + 1):
                suma = 0.0
                for jj in range(1, nptm + 1):
                    suma = suma + zmat[knew][jj] * zmat[k][jj]
                sumb = 0.0
                for j in range(1, n + 1):
                    sumb = sumb + xpt[k][j] * xopt[j]
                temp = suma * sumb
                for i in range(1, n + 1):
                    w[i] = w[i] + temp * xpt[k][i]
            for i in range(1, n + 1):
                gopt[i] = gopt[i] + diff * w[i]
            if f < fopt:
                kopt = knew
                xoptsq = 0.0
                ih = 0
                for j in range(1, n + 1):
                    xopt[j] = xnew[j]
                    xoptsq = xoptsq + xopt[j] ** 2
                    for i in range(1, j + 1):
                        ih += 1
                        if i < j:
                            gopt[j] = gopt[j] + hq[ih] * d[i]
                        gopt[i] = gopt[i] + hq[ih] * d[j]
                for k in range(1, npt + 1):
                    temp = 0.0
                    for j in range(1, n + 1):
                        temp = temp + xpt[k][j] * d[j]
                    temp = pq[k] * temp
                    for i in range(1, n + 1):
                        gopt[i] = gopt[i] + temp * xpt[k][i]
            if ntrits > 0:
                itest = gradient_test(n, npt, nptm, nh, fval, kopt, zmat, xpt, xopt, bmat, sl,
                                       su, gopt, pq, hq, vlag, w, itest)
            if ntrits == 0:
                label = 60
                continue
            if f <= fopt + 0.1 * vquad:
                label = 60
                continue
            distsq = max((2.0 * delta) ** 2, (10.0 * rho) ** 2)
            label = 650
        if label == 650:
            knew = 0
            for k in range(1, npt + 1):
                sm = 0.0
                for j in range(1, n + 1):
                    sm = sm + (xpt[k][j] - xopt[j]) ** 2
                if sm > distsq:
                    knew = k
                    distsq = sm
            if knew > 0:
                dist = math.sqrt(distsq)
                if ntrits == -1:
                    delta = min(0.1 * delta, 0.5 * dist)
                    if delta <= 1.5 * rho:
                        delta = rho
                ntrits = 0
                adelt = max(min(0.1 * dist, delta), rho)
                dsq = adelt * adelt
                label = 90
                continue
            if ntrits == -1:
                label = 680
            elif ratio > 0.0 or max(delta, dnorm) > rho:
                label = 60
                continue
            else:
                label = 680
        if label == 680:
            if rho > rhoend:
                delta = 0.5 * rho
                ratio = rho / rhoend
                if ratio <= 16.0:
                    rho = rhoend
                elif ratio <= 250.0:
                    rho = math.sqrt(ratio) * rhoend
                else:
                    rho = 0.1 * rho
                delta = max(delta, rho)
                ntrits = 0
                nfsav = nf
                label = 60
                continue
            if ntrits == -1:
                label = 360
                continue
            return _finish(n, x, xl, xu, xbase, xopt, sl, su, fval, kopt, fsave, f, ierr)


def _finish(n, x, xl, xu, xbase, xopt, sl, su, fval, kopt, fsave, f, ierr):
    """Label 720: the best point (if no worse than the last evaluation) into ``x``."""
    if fval[kopt] <= fsave:
        for i in range(1, n + 1):
            x[i] = min(max(xl[i], xbase[i] + xopt[i]), xu[i])
            if xopt[i] == sl[i]:
                x[i] = xl[i]
            if xopt[i] == su[i]:
                x[i] = xu[i]
        f = fval[kopt]
    return f, ierr
