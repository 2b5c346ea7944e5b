"""Pixel losses: name -> (function, unit of its value). The GAN's losses are in `gan_losses`."""
import torch

__all__ = ["PIXEL_LOSSES"]

#: loss name -> (function, unit of its value)
PIXEL_LOSSES = {"l1": (torch.nn.functional.l1_loss, "G"), "mse": (torch.nn.functional.mse_loss, "G^2")}
